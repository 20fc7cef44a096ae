// Types of module "xs-tinyml" on Moddable: the TypeScript API of src/.
export * from '../../src/index.js';
