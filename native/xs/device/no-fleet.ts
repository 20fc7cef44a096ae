// Module "xtml-device/fleet" in the desktop XS host (host-sim/xs), which has
// no sockets and so no Moddable "mqtt", "net" or "instrumentation": the
// device app runs there without a fleet agent. A configuration that asks for
// one is refused by name instead of being ignored. fleet.ts is the module on
// the device and in the Moddable simulator.
import config from 'mc/config';

/** As fleet.ts's, whose options this host never reads (importing its types would pull in the device's modules). */
export function startFleetAgent(_start: object): undefined {
  const fleet = (config as { fleet?: { broker?: string } }).fleet;
  if (fleet !== undefined && fleet.broker) {
    throw new Error(`config.fleet.broker is ${fleet.broker}, but this host has no MQTT client (the fleet agent runs on the device and in the Moddable simulator)`);
  }
  return undefined;
}
