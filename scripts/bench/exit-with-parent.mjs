// Preloaded (node --import) into an API that a benchmark starts with an IPC channel
// (startBuiltApi's exitWithParent): when the benchmark dies without stopping it (kill -9),
// the channel closes and the API shuts down as on SIGTERM, instead of living on, connected
// to a scratch database nobody will drop. The app itself knows nothing of it.
import process from 'node:process';

process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
