#!/usr/bin/env node
// The training container's entrypoint (SageMaker runs `<image> train`; Fargate runs it as is).
// The package imports itself by name, so `node --conditions=source --import tsx` runs the sources.
import { runTrainingContainer } from '@slipway/training-job';

process.exitCode = await runTrainingContainer(process.env.SLIPWAY_ML_ROOT ?? '/opt/ml', process.env);
