#!/usr/bin/env node
// A file that exists before the build, so installing the workspace links the bin without a
// warning; the command itself is the built dist/cli.js.
import '../dist/cli.js';
