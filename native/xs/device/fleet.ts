// The fleet agent on a Moddable device: src/fleet/agent.ts (retained state and
// online marker with a last will, metrics every period, desired-state installs
// and rollbacks through the model service) over Moddable's MQTT client (module
// "mqtt"). Started by main.ts when config.fleet.broker is set. Models arrive
// as retained chunks over MQTT (the device has no HTTP client in this app);
// the agent checks their size and SHA-256 before ModelService.install verifies,
// probes, stores and swaps. Moddable's client is QoS 0 with a clean session:
// everything the device must find (its desired state, the chunks) is retained,
// and it subscribes again on every connection. It does not reconnect by itself,
// so this file does, with a growing delay.
import config from 'mc/config';
import Client from 'mqtt';
import Net from 'net';
import Timer from 'timer';
import { FleetAgent, type Desired, type ModelService } from 'xs-tinyml';
import { freeMemory } from 'xtml-device/free-memory';
import { sha256Hex } from 'xtml-device/sha256';

export interface FleetStart {
  service: ModelService;
  bundledSha256: string;
  maxModelBytes: number;
  /** A reason every install is refused (a signing key this device cannot check). */
  refuse?: (desired: Desired) => { code: string; message: string } | undefined;
}

/** The agent, connected and ticking; undefined when no broker is configured. */
export function startFleetAgent(start: FleetStart): FleetAgent | undefined {
  const fleet = config.fleet;
  if (fleet === undefined || !fleet.broker) return undefined;
  const device = fleet.device || defaultDeviceName();
  if (device === undefined) {
    trace('fleet: this host reports neither a MAC nor an IP address and config.fleet.device is empty: the fleet agent is not started\n');
    return undefined;
  }
  let client: Client | undefined;
  let ready = false;
  const agent = new FleetAgent({
    service: start.service,
    transport: {
      publish: (topic, payload, retain) => {
        if (!ready || client === undefined) return;   // republished on the next connection
        client.publish(topic, typeof payload === 'string' ? payload : (payload.slice().buffer as ArrayBuffer), { retain });
      },
      subscribe: (topic) => {
        if (ready) client?.subscribe(topic);
      },
      unsubscribe: (topic) => {
        if (ready) client?.unsubscribe(topic);
      },
    },
    fleet: fleet.name || 'default',
    device,
    prefix: fleet.prefix || 'xtml',
    engine: 'xs',
    platform: config.platform ?? 'moddable',
    bundledSha256: start.bundledSha256,
    sha256: sha256Hex,
    metricsEveryMs: (fleet.metricsSeconds ?? 60) * 1000,
    maxModelBytes: start.maxModelBytes,
    freeMemory,
    ...(start.refuse !== undefined ? { refuse: start.refuse } : {}),
    log: (level, message) => trace(`xs-tinyml ${level}: ${message}\n`),
  });
  let delay = 1000;
  const retry = (): void => {
    Timer.set(connect, delay);
    delay = Math.min(delay * 2, 60_000);
  };
  const connect = (): void => {
    const { clientId, will } = agent.connectOptions();
    let c: Client;
    try {
      c = new Client({
        host: fleet.broker, port: fleet.port ?? 1883, id: clientId,
        ...(fleet.user ? { user: fleet.user } : {}), ...(fleet.password ? { password: fleet.password } : {}),
        will: { topic: will.topic, message: will.payload, retain: will.retain },
        timeout: (fleet.keepaliveSeconds ?? 60) * 1000,
      });
    } catch (error) {
      trace(`fleet: cannot connect to ${fleet.broker}: ${String(error)}; again in ${delay / 1000} s\n`);
      retry();
      return;
    }
    client = c;
    c.onReady = () => {
      ready = true;
      delay = 1000;
      trace(`fleet: connected to ${fleet.broker}:${fleet.port ?? 1883} as ${device} (fleet ${fleet.name || 'default'})\n`);
      agent.connected();
    };
    c.onMessage = (topic, body) => agent.message(topic, new Uint8Array(body));
    c.onClose = () => {
      if (client !== c) return;
      ready = false;
      client = undefined;
      agent.disconnected();
      trace(`fleet: connection to ${fleet.broker} closed; again in ${delay / 1000} s\n`);
      retry();
    };
  };
  connect();
  Timer.repeat(() => agent.tick(), 250);
  return agent;
}

// The device's name when config.fleet.device is empty: its MAC address (stable
// on an ESP32). The Moddable simulator's Net reports no MAC (on Linux it knows
// only "IP"), so there the name is made from the IP address instead.
function defaultDeviceName(): string | undefined {
  const mac = Net.get('MAC') as string | undefined;
  if (mac) return `xtml-${mac.replace(/:/g, '').toLowerCase()}`;
  const ip = Net.get('IP') as string | undefined;
  return ip ? `xtml-ip-${ip.replace(/[.:]/g, '-')}` : undefined;
}
