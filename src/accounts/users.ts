export {
  findUser,
  findUserByEmail,
  findUserByIdentity,
  markEmailVerified,
  NO_PASSWORD,
  type ProviderLink,
  providerLinkOf,
  type User,
  userOf,
} from '../store/users.js';
