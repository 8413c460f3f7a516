import { describeEndpointDetails, describeManagedIdentity, setUpEmulator } from './managed-identity-cases.js';

setUpEmulator();
describeManagedIdentity('appService');
describeEndpointDetails();
