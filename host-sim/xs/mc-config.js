/*
 * mc/config on the desktop XS host: the app's "config" as mcconfig would
 * generate it, empty here (programs pass what they need as arguments). Lets
 * device modules that read their settings from it load on this host.
 */
export default Object.freeze({});
