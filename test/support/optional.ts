// Optional tools and data. A test that needs one runs where it is present;
// where it is absent the test is skipped with one line that names what is
// missing and how to get it, and when CI is set (.ci/run sets it) the test
// fails instead, so CI can never pass by skipping.
import test, { type ExecutionContext } from 'ava';
import { missing, strict, type Requirement } from './requirements.js';

export { cliBuilds, missing, needs, requirement, strict, variantNeeds, type Requirement } from './requirements.js';

type Impl = ((t: ExecutionContext) => void) | ((t: ExecutionContext) => PromiseLike<void>);

/**
 * test(title, impl) when every requirement is present. Otherwise a skipped
 * test whose title says what is missing, or under CI a failing one.
 */
export function optionalTest(title: string, requirements: Requirement[], impl: Impl, serial = false): void {
  const why = missing(requirements);
  const register = serial ? test.serial : test;
  if (why === null) {
    register(title, impl);
  } else if (strict) {
    register(title, (t) => t.fail(`CI is set and ${why}`));
  } else {
    (serial ? test.serial.skip : test.skip)(`${title} [skipped: ${why}]`, impl);
  }
}

/**
 * The tests `register` makes, when every requirement is present. Otherwise one
 * test named `title` that says what is missing (skipped, or failing under CI):
 * for files whose tests cannot even be listed without the requirement (the
 * reference set's manifests name them).
 */
export function optionalGroup(title: string, requirements: Requirement[], register: () => void): void {
  if (missing(requirements) === null) register();
  else optionalTest(title, requirements, () => undefined);
}
