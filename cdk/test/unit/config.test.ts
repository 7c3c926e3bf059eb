// The stage configuration: defaults fill in what a stage leaves out; mistakes are named with their fix.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseConfig,
  readConfig,
  STAGE_NAMES,
  stageConfig,
  withContextOverrides,
} from '../../src/index.js';

const minimal = { github: { repository: 'acme/slipway' }, stages: { dev: {}, staging: {}, prod: {} } };

describe('stage configuration', () => {
  it('fills every default for a stage that sets nothing', () => {
    expect(stageConfig(parseConfig(minimal), 'dev')).toEqual({
      stage: 'dev',
      repository: 'acme/slipway',
      bootstrapQualifier: 'hnb659fds',
      logRetentionDays: 30,
      training: {
        instanceType: 'ml.m5.large',
        fargateCpu: 2048,
        fargateMemoryMiB: 4096,
        availabilityZones: 1,
      },
      inference: { publicUrl: false, memoryMiB: 1024, p99LatencyMs: 1000 },
      approvers: [],
      alarmEmails: [],
      github: { createOidcProvider: true, pipelineSubjects: ['pull_request'] },
    });
  });

  it('reads cdk/stages.json: three stages, one OIDC provider per account', () => {
    const config = readConfig();
    expect(Object.keys(config.stages).sort()).toEqual([...STAGE_NAMES].sort());
    expect(STAGE_NAMES.filter((s) => config.stages[s].github.createOidcProvider)).toEqual(['dev']);
    expect(stageConfig(config, 'prod').github.pipelineSubjects).toEqual(['environment:prod']);
  });

  it("-c createOidcProvider=false imports the account's existing GitHub provider instead of creating a second", () => {
    const dev = stageConfig(parseConfig(minimal), 'dev');
    expect(withContextOverrides(dev, {}).github.createOidcProvider).toBe(true);
    expect(withContextOverrides(dev, { createOidcProvider: 'false' }).github.createOidcProvider).toBe(false);
    expect(withContextOverrides(dev, { createOidcProvider: true }).github.createOidcProvider).toBe(true);
    expect(() => withContextOverrides(dev, { createOidcProvider: 'no' })).toThrow(
      new ConfigError(
        '-c createOidcProvider must be true or false, got "no"; false imports the account\'s existing GitHub provider',
      ),
    );
  });

  it('names each bad field and how to write it', () => {
    const bad = {
      github: { repository: 'not a repo' },
      stages: {
        dev: { training: { instanceType: 'm5.large' }, approvers: ['nobody'] },
        staging: {},
        prod: {},
      },
    };
    expect(() => parseConfig(bad, 'stages.json')).toThrowError(ConfigError);
    try {
      parseConfig(bad, 'stages.json');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/^stages\.json is not valid: /);
      expect(message).toContain('github.repository: write the repository as owner/name');
      expect(message).toContain(
        'stages.dev.training.instanceType: a SageMaker instance type looks like ml.m5.large',
      );
      expect(message).toContain('stages.dev.approvers.0:');
    }
  });

  it('rejects an unknown stage and an unknown field', () => {
    expect(() => stageConfig(parseConfig(minimal), 'qa')).toThrowError(
      'unknown stage "qa": pass -c stage=dev|staging|prod',
    );
    expect(() =>
      parseConfig({ ...minimal, stages: { ...minimal.stages, dev: { logRetention: 7 } } }),
    ).toThrowError(/stages\.dev: Unrecognized key: "logRetention"/);
    expect(() => readConfig('/nonexistent/stages.json')).toThrowError(
      'cannot read /nonexistent/stages.json: pass an existing file with -c config=<path>',
    );
  });
});
