import { describeManagedIdentityArguments, describeManagedIdentityFlow } from './support/managed-identity-cases.js';

describeManagedIdentityFlow('appService');
describeManagedIdentityArguments();
