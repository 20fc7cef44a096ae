// Types of Moddable's module "crypt" ($MODDABLE/modules/crypt/digest): the
// part of it this app uses.
export type DigestType = 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';

export class Digest {
  constructor(type: DigestType);
  /** Bytes to hash: an ArrayBuffer, a view of one, or a host buffer such as a Resource. */
  write(data: string | ArrayBuffer | ArrayBufferView | object): void;
  /** The digest; the object can then be reset() and reused. */
  close(): ArrayBuffer;
  reset(): void;
  readonly outputSize: number;
}
