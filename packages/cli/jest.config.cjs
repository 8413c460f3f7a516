const { jestConfig } = require('@o365/tooling/jest-preset');

module.exports = jestConfig(__dirname);
