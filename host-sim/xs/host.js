/*
 * xtml-host: host-only I/O of the desktop XS host (host_io.c), for test
 * programs. Not available on a device: code that runs there must not import it.
 */

/** The program's arguments (after the entry module on the command line). */
export function args() @ "xs_host_args";
/** A file's bytes. */
export function readFile(path) @ "xs_host_read_file";
/** A UTF-8 text file as a string. */
export function readText(path) @ "xs_host_read_text";
/** The next line of standard input without its newline; undefined at its end. */
export function readLine() @ "xs_host_read_line";
/** Write text and a newline to standard output, flushed. */
export function writeLine(text) @ "xs_host_write_line";
/** The bytes a string of hex digits spells, as an ArrayBuffer. */
export function fromHex(text) @ "xs_host_from_hex";
/** A regular file's size in bytes, or -1 when there is none. */
export function fileSize(path) @ "xs_host_file_size";
/** `count` bytes of a file from `position`, as an ArrayBuffer. */
export function fileReadAt(path, position, count) @ "xs_host_file_read_at";
/** Write an ArrayBuffer's bytes at `position`, creating the file if absent (never truncating). */
export function fileWriteAt(path, position, buffer) @ "xs_host_file_write_at";
/** Remove a file; true when it was removed. */
export function fileDelete(path) @ "xs_host_file_delete";
/** rename(2), replacing the target; true when it succeeded. */
export function fileRename(from, to) @ "xs_host_file_rename";
/** Create a directory; an existing one is fine. */
export function makeDirectory(path) @ "xs_host_make_directory";
/** Returns 0 and does nothing: a marker for callgrind (--dump-before=xs_host_mark). */
export function mark() @ "xs_host_mark";
/** The XS heaps: [chunk bytes in use, reserved, peak, slots in use, reserved, peak, bytes per slot]; collect: after a garbage collection (xs_platform.c). */
export function heap(collect) @ "xs_host_heap";
