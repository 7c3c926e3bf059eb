// `slipway` on the TypeScript sources: run with `node --conditions=source --import tsx`.
import { main } from '@slipway/cli';

process.exitCode = await main(process.argv);
