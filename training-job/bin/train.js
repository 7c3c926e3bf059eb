#!/usr/bin/env node
// The training container's entrypoint (SageMaker runs `<image> train`; Fargate runs it as is).
import { runTrainingContainer } from '../dist/index.js';

process.exitCode = await runTrainingContainer(process.env.SLIPWAY_ML_ROOT ?? '/opt/ml', process.env);
