// Listing: tickets for integrators and agents, filtered and paged.
import type { Capability } from '../capability';
import { ListingResolver } from './listing.resolver';

export const listingCapability: Capability = { name: 'listing', resolvers: [ListingResolver] };
export { ListingService } from './listing.service';
