// Free heap for the fleet agent's metrics, from Moddable's instrumentation
// module. Only ESP32 builds include that module; elsewhere (the simulator)
// no-free-memory.ts stands in, since importing a module a build lacks makes
// the whole app fail to load.
import Instrumentation from 'instrumentation';

const freeKey = Instrumentation.map('System Free Memory');

export function freeMemory(): number | null {
  return freeKey === undefined ? null : Instrumentation.get(freeKey) ?? null;
}
