// Thin: the two operations of customers' data and the scope each needs.
import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { CustomerData } from './customer-data.type';
import { ErasureReport } from './erasure-report.type';

const EMAIL = { description: 'The customer email (case-insensitive, trimmed), as tickets were created with it.' };

@Resolver()
export class CustomerResolver {
  @Authorized('customers:read')
  @Query(() => CustomerData, {
    description:
      'customers:read. Everything held about this email (an access request): every ticket with every event, internal ones included. Recorded in the audit trail.',
  })
  customerData(@Arg('email', EMAIL) email: string, @Ctx() ctx: Context) {
    return ctx.customers.export(email, ctx.principal!.name);
  }

  @Authorized('customers:erase')
  @Mutation(() => ErasureReport, {
    description:
      "customers:erase. Erase this email's personal data from every ticket (an erasure request): placeholders in, attachments deleted, an ERASED event per ticket. Erasing again reports zeros. Recorded in the audit trail.",
  })
  eraseCustomer(@Arg('email', EMAIL) email: string, @Ctx() ctx: Context) {
    return ctx.customers.erase(email, ctx.principal!.name);
  }
}
