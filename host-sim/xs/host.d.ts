// Types of the desktop XS host's module "xtml-host" (host.js, host_io.c).
export function args(): string[];
export function readFile(path: string): ArrayBuffer;
export function readText(path: string): string;
export function readLine(): string | undefined;
export function writeLine(text: string): void;
export function fromHex(text: string): ArrayBuffer;
export function mark(): number;
