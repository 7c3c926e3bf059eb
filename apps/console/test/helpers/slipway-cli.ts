// `slipway` on the TypeScript sources: run with `node --conditions=source --import tsx`.
import { main } from '@slipway/pipeline';

process.exitCode = await main(process.argv);
