export { formatHeader, formatRow, pairedSamples, quantile, timePair, type PairedSamples } from './paired.js';
