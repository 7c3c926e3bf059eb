export { buildProgram, main } from './cli/main.js';
