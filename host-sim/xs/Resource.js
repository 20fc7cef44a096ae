/*
 * Resource: Moddable's Resource API on the desktop XS host (host_io.c). A
 * Resource is a read-only host buffer over memory that does not move: on a
 * device, data in flash; here, a file mapped with mmap. Paths are file paths.
 */
export default class Resource @ "xs_host_resource_destructor" {
	constructor(path) @ "xs_host_resource";
	static exists(path) @ "xs_host_resource_exists";
	get byteLength() @ "xs_host_resource_get_byteLength";
	/** A copy of bytes [begin, end) as an ArrayBuffer. */
	slice(begin, end) @ "xs_host_resource_slice";
}
