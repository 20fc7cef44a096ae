// The fleet agent's transport on Node: the `mqtt` package's client, connected
// with the agent's client id and last will, reconnecting by itself; its events
// drive the agent (connected, message) and a timer calls tick(). Also the HTTP
// fetch desktop devices use for model URLs. Node-only.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { FleetAgent, FleetTransport } from '../../../src/fleet/agent.js';

export interface AgentConnectionOptions {
  username?: string;
  password?: string;
  /** Reconnect period, ms (1000 by default). */
  reconnectMs?: number;
  /** How often the agent's tick() runs, ms (250 by default). */
  tickMs?: number;
  /** MQTT keepalive, seconds (30 by default): how soon the broker notices a vanished device and sends its will. */
  keepaliveSeconds?: number;
}

/** A transport whose client is set once it exists (the agent is built before the connection). */
export class LateTransport implements FleetTransport {
  client: MqttClient | undefined;

  publish(topic: string, payload: string | Uint8Array, retain: boolean): void {
    if (this.client?.connected !== true) return;   // QoS 0 while offline is dropped; state is republished on connect
    this.client.publish(topic, typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length), { qos: 0, retain });
  }

  subscribe(topic: string): void {
    this.client?.subscribe(topic, { qos: 1 });
  }

  unsubscribe(topic: string): void {
    this.client?.unsubscribe(topic);
  }
}

export interface AgentConnection {
  client: MqttClient;
  /** Disconnect cleanly (no will) or, with `crash`, drop the socket so the broker sends the will. */
  close(crash?: boolean): Promise<void>;
}

/** Connect an agent built on `transport` to the broker. */
export function connectAgent(agent: FleetAgent, transport: LateTransport, broker: string, options: AgentConnectionOptions = {}): AgentConnection {
  const { clientId, will } = agent.connectOptions();
  const config: IClientOptions = {
    clientId,
    clean: true,
    keepalive: options.keepaliveSeconds ?? 30,
    reconnectPeriod: options.reconnectMs ?? 1000,
    connectTimeout: 10_000,
    will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: will.retain },
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };
  const client = mqtt.connect(broker, config);
  transport.client = client;
  client.on('connect', () => agent.connected());
  client.on('close', () => agent.disconnected());
  client.on('error', () => undefined);   // reconnects by itself; the agent's state says it is offline
  client.on('message', (topic, payload) => agent.message(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.length)));
  const timer = setInterval(() => agent.tick(), options.tickMs ?? 250);
  return {
    client,
    close: async (crash = false) => {
      clearInterval(timer);
      if (crash) {
        // as a power cut: no DISCONNECT, so the broker publishes the will
        (client as unknown as { stream?: { destroy(): void } }).stream?.destroy();
        await client.endAsync(true);
      } else {
        // a clean goodbye: mark offline ourselves (a clean DISCONNECT suppresses the will)
        if (client.connected) await client.publishAsync(will.topic, will.payload, { qos: 1, retain: true });
        await client.endAsync(false);
      }
    },
  };
}

/** GET a URL's body, refusing more than `maxBytes`. */
export async function fetchBytes(url: string, maxBytes: number): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new Error(`the body is ${declared} bytes, more than the ${maxBytes} expected`);
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > maxBytes) throw new Error(`the body is ${body.length} bytes, more than the ${maxBytes} expected`);
  return body;
}
