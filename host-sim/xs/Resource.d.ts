// Types of module "Resource" as the desktop XS host provides it (Resource.js);
// the same shape as Moddable's Resource.
export default class Resource {
  constructor(path: string);
  static exists(path: string): boolean;
  readonly byteLength: number;
  slice(begin?: number, end?: number): ArrayBuffer;
}
