import { describeManagedIdentityFlow } from './support/managed-identity-cases.js';

describeManagedIdentityFlow('imds');
