/** Jest runs our TypeScript as native ESM (node --experimental-vm-modules), transformed by SWC. */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^#(domain|adapters|shared|handlers)/(.*)\\.js$': '<rootDir>/functions/$1/$2.ts',
    '^#lib/(.*)\\.js$': '<rootDir>/lib/$1.ts',
    '^#local/(.*)\\.js$': '<rootDir>/local/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 60000,
  collectCoverageFrom: ['functions/**/*.ts', 'lib/**/*.ts', 'local/**/*.ts'],
  coverageThreshold: { global: { lines: 75, branches: 60 } },
};
