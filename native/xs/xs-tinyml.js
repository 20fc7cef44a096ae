/*
 * Module "xs-tinyml": the package's entry, re-exporting "xs-tinyml/index"
 * (dist/src/index.js). It cannot simply be that file: XS resolves the
 * relative imports tsc emits ("./session.js") against the importing module's
 * name, so index.js must be named "xs-tinyml/index" to find
 * "xs-tinyml/session"; under the name "xs-tinyml" it would look for
 * "session".
 */
export * from "xs-tinyml/index";
