import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  readonly stage: string;
  readonly stateMachine: sfn.IStateMachine;
  /** The inference function's `live` alias: what clients call. */
  readonly inference: lambda.IAlias;
  /** The step functions, shown on the dashboard. */
  readonly steps: readonly lambda.IFunction[];
  readonly p99LatencyMs: number;
  readonly alarmEmails: readonly string[];
}

/** The names of a stage's alarms (the Promote step reads the inference errors alarm by name). */
export function alarmNames(stage: string) {
  return {
    failedExecutions: `slipway-${stage}-failed-executions`,
    inferenceErrors: `slipway-${stage}-inference-errors`,
    inferenceLatency: `slipway-${stage}-inference-p99-latency`,
  } as const;
}

/** Alarms (failed executions, inference errors, inference p99 latency), their topic, and a dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly failedExecutions: cloudwatch.Alarm;
  readonly inferenceErrors: cloudwatch.Alarm;
  readonly inferenceLatency: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const names = alarmNames(props.stage);

    // CloudWatch can publish to an encrypted topic only when the key is a customer managed one that
    // lets it in; the AWS managed SNS key does not.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `slipway ${props.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `slipway ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails)
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const notify = new actions.SnsAction(this.topic);

    const period = Duration.minutes(5);
    this.failedExecutions = new cloudwatch.Alarm(this, 'FailedExecutions', {
      alarmName: names.failedExecutions,
      alarmDescription: 'An execution failed, timed out or was aborted: see `slipway executions --aws`.',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: props.stateMachine.metricFailed({ period }),
          timedOut: props.stateMachine.metricTimedOut({ period }),
          aborted: props.stateMachine.metricAborted({ period }),
        },
        period,
        label: 'executions failed, timed out or aborted',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The inference handler answers failures with 5xx responses, which Lambda's Errors metric never counts
    // (it counts function errors only); the Function URL's own metrics do
    // (https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html). Missing data stays missing, so
    // a canary window without requests shows as INSUFFICIENT_DATA, never as a pass.
    this.inferenceErrors = new cloudwatch.Alarm(this, 'InferenceErrors', {
      alarmName: names.inferenceErrors,
      alarmDescription:
        'The live inference Function URL answered 5xx (bad requests are 4xx, not counted). Promotion reads this alarm as its canary.',
      metric: props.inference.metric('Url5xxCount', { period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.inferenceLatency = new cloudwatch.Alarm(this, 'InferenceLatency', {
      alarmName: names.inferenceLatency,
      alarmDescription: `The live inference Function URL's p99 request latency is above ${props.p99LatencyMs} ms.`,
      metric: props.inference.metric('UrlRequestLatency', { period, statistic: 'p99' }),
      threshold: props.p99LatencyMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.failedExecutions, this.inferenceErrors, this.inferenceLatency]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `slipway-${props.stage}`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [this.failedExecutions, this.inferenceErrors, this.inferenceLatency],
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Pipeline executions',
        left: [
          props.stateMachine.metricStarted({ period }),
          props.stateMachine.metricSucceeded({ period }),
          props.stateMachine.metricFailed({ period }),
          props.stateMachine.metricTimedOut({ period }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Step function errors',
        left: props.steps.map((f) => f.metricErrors({ period, label: f.node.scope?.node.id ?? f.node.id })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Inference requests',
        left: [
          props.inference.metric('UrlRequestCount', { period, statistic: 'Sum' }),
          props.inference.metric('Url4xxCount', { period, statistic: 'Sum' }),
          props.inference.metric('Url5xxCount', { period, statistic: 'Sum' }),
          props.inference.metricThrottles({ period }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Inference duration (ms)',
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          props.inference.metric('UrlRequestLatency', { period, statistic, label: statistic }),
        ),
        leftAnnotations: [{ value: props.p99LatencyMs, label: 'p99 alarm' }],
        width: 12,
      }),
    );
  }
}
