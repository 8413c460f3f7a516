import { describeManagedIdentity, setUpEmulator } from './managed-identity-cases.js';

setUpEmulator();
describeManagedIdentity('imds');
