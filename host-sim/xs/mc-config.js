/*
 * mc/config on the desktop XS host: the app's "config" as mcconfig would
 * generate it from the manifest, here taken from the program's arguments
 * (--config JSON; empty without), so device modules that read their settings
 * from it run on this host with the settings a test chooses.
 */
import { args } from "xtml-host";

const list = args();
const at = list.indexOf("--config");
export default Object.freeze(at >= 0 ? JSON.parse(list[at + 1]) : {});
