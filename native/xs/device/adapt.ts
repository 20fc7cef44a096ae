// Module "xtml-device/adapt": the adaptation calls of the device app
// (POST/GET/DELETE /adapt/examples, POST /adapt; docs/adapt.md), the same
// AdaptRoutes (src/adapt/rest.ts) as the desktop server and the XS desktop
// host, over the app's ModelService. The device has no PNG or JPEG decoder:
// an example's image is a PGM (or raw gray8 is not possible here: the JSON
// carries no size), within /detect's body and pixel limits. Examples are kept
// outside the XS heap (the binding's host memory), 9,216 bytes each for the
// bundled detector, at most 20; POST /model/rollback undoes an adaptation.
import { AdaptRoutes, adaptFrame } from 'xs-tinyml/adapt/rest';
import type { AdaptHandler, FrameLimits, Frame, ModelService } from 'xs-tinyml';

export function adaptRoutes(service: ModelService, limits: FrameLimits): AdaptHandler {
  return new AdaptRoutes(service, (bytes: Uint8Array): Frame => adaptFrame(bytes, limits));
}
