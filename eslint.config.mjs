export { default } from './tooling/config/eslint.mjs';
