// Entry point of dist/tarjotin.js: defines <tarjotin-search> once, even if loaded twice.
import { define } from './element.js';

define();
