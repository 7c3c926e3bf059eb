import { fileURLToPath } from 'node:url';

/**
 * The one state-machine definition (`contracts/state-machine.asl.json`): AWS deploys it as is, the local
 * runner executes it. Its state names, Catch error names and Task payloads are the contract every part
 * keeps. A subpath of its own (`@slipway/contracts/definition`), because it needs Node and the console's
 * browser code imports the rest of this package.
 */
export const DEFINITION_PATH = fileURLToPath(new URL('../state-machine.asl.json', import.meta.url));
