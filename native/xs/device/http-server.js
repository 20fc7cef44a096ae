/*
 * Module "xtml-device/http-server": the Server of Moddable's module "http"
 * ($MODDABLE/modules/network/http), under a name of our own. TypeScript cannot
 * type an import of "http" here: @types/node declares an ambient module of that
 * name, which wins over any `paths` entry, so our code imports this module and
 * http-server.d.ts types it.
 */
export { Server } from "http";
