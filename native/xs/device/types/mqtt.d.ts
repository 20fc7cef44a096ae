// Types of module "mqtt" (Moddable's MQTT 3.1.1 client,
// $MODDABLE/modules/network/mqtt/mqtt.js): what this app uses. The SDK ships
// no typing for it. QoS 0 only; the session is always clean.
export interface MqttWill {
  topic: string;
  message: string | ArrayBuffer;
  retain?: boolean;
}

export interface MqttOptions {
  host: string;
  /** 1883 by default. */
  port?: number;
  /** Client id. */
  id?: string;
  user?: string;
  password?: string;
  will?: MqttWill;
  /** Keepalive, ms (the client pings at a quarter of it); 0: none. */
  timeout?: number;
}

export default class Client {
  constructor(options: MqttOptions);
  /** CONNACK received: publish and subscribe from here on. */
  onReady?: () => void;
  onMessage?: (topic: string, body: ArrayBuffer) => void;
  /** The connection is gone (closed by the broker, a network failure, a keepalive timeout). */
  onClose?: () => void;
  publish(topic: string, data: string | ArrayBuffer, flags?: { retain?: boolean }): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Sends DISCONNECT unless `immediate`, then closes the socket. */
  close(immediate?: boolean): void;
}
