// Builds without Moddable's instrumentation module (the simulator): the fleet
// agent reports free memory as unknown (null).
export function freeMemory(): number | null {
  return null;
}
