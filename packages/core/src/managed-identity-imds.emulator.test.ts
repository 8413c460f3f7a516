import { describeManagedIdentityFlow } from './auth/managed-identity-cases.js';

describeManagedIdentityFlow('imds');
