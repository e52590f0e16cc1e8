// Jest's defaults (vm contexts, module registry per test file), as users run it.
module.exports = { testEnvironment: 'node', testMatch: ['**/*.spec.js'] }
