// Globals the XS engine provides to every Moddable app and that this folder
// uses. (The desktop XS host has them too; Node has not, so only code that
// runs on XS may use them.)
export {};

declare global {
  /** Prints to the debugger console (xsbug, the serial port, the simulator's stdout). */
  function trace(...values: unknown[]): void;

  interface ArrayBufferConstructor {
    /** XS: the UTF-8 bytes of a string. */
    fromString(text: string): ArrayBuffer;
  }
}
