// Types of the desktop XS host's module "xtml-host" (host.js, host_io.c).
export function args(): string[];
export function readFile(path: string): ArrayBuffer;
export function readText(path: string): string;
export function readLine(): string | undefined;
export function writeLine(text: string): void;
export function fromHex(text: string): ArrayBuffer;
export function fileSize(path: string): number;
export function fileReadAt(path: string, position: number, count: number): ArrayBuffer;
export function fileWriteAt(path: string, position: number, buffer: ArrayBuffer): void;
export function fileDelete(path: string): boolean;
export function fileRename(from: string, to: string): boolean;
export function makeDirectory(path: string): void;
export function mark(): number;
/** The XS heaps: [chunk bytes in use, reserved, peak, slots in use, reserved, peak, bytes per slot]; collect: after a garbage collection. */
export function heap(collect: boolean): [number, number, number, number, number, number, number];
