import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { Context } from '../graphql/context';
import { TicketFilter, TicketOrder } from '../listing/ticket-filter.input';
import { SavedView } from './saved-view.model';

@InputType({ description: 'A view to save: new, or (with id) one you keep, replaced.' })
export class TicketViewInput {
  @Field(() => ID, { nullable: true, description: 'The view to replace; left out: a new view.' })
  public id?: string | null;

  @Field({ description: 'Name, 1-100 characters.' })
  public name!: string;

  @Field(() => String, { nullable: true, description: 'Search words; left out: a plain listing.' })
  public query?: string | null;

  @Field(() => TicketFilter, { nullable: true, description: 'Which tickets.' })
  public filter?: TicketFilter | null;

  @Field(() => TicketOrder, { nullable: true, description: 'Order (default CREATED_DESC).' })
  public order?: TicketOrder | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Shared with every agent (needs settings:manage); default false: yours only.',
  })
  public shared?: boolean | null;
}

@Resolver(() => SavedView)
export class ViewsResolver {
  @Authorized('tickets:read')
  @Query(() => [SavedView], { description: 'tickets:read. Your saved views and the shared ones, by name.' })
  views(@Ctx() ctx: Context): Promise<SavedView[]> {
    return ctx.views.list(ctx.principal!);
  }

  @Authorized('tickets:read')
  @Mutation(() => SavedView, {
    description:
      'tickets:read. Save a view for yourself, or (shared: true, settings:manage) for every agent; with id, replace one you keep.',
  })
  saveView(
    @Arg('input', () => TicketViewInput, { description: 'The view.' }) input: TicketViewInput,
    @Ctx() ctx: Context,
  ): Promise<SavedView> {
    return ctx.views.save(input, ctx.principal!);
  }

  @Authorized('tickets:read')
  @Mutation(() => Boolean, {
    description: 'tickets:read. Delete a view you keep (a shared one: settings:manage); false when there is none.',
  })
  deleteView(@Arg('id', () => ID, { description: 'The view.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.views.remove(id, ctx.principal!);
  }

  @FieldResolver(() => Int, { description: 'How many tickets the view holds now (counted when asked).' })
  count(@Root() view: SavedView, @Ctx() ctx: Context): Promise<number> {
    return ctx.views.count(view);
  }
}
