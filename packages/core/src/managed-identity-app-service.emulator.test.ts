import { describeManagedIdentityArguments, describeManagedIdentityFlow } from './auth/managed-identity-cases.js';

describeManagedIdentityFlow('appService');
describeManagedIdentityArguments();
