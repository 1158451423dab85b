// The GraphQL shapes of attachments (contract: "Attachments").
import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A file attached to a timeline event. Metadata only; the bytes are at `url`.' })
export class Attachment {
  @Field(() => ID, { description: 'The id createUpload gave.' })
  public id!: string;

  @Field({ description: 'Sanitised file name.' })
  public filename!: string;

  @Field({ description: 'MIME type, confirmed from the bytes at upload.' })
  public contentType!: string;

  @Field(() => Int, { description: 'Size in bytes.' })
  public size!: number;

  @Field({
    description:
      'Signed link to the bytes; expires (15 minutes by default). Holders of a tickets:read token may also GET it with their token after that.',
  })
  public url!: string;
}

@ObjectType({ description: 'Where to PUT the bytes of a new attachment, and until when.' })
export class Upload {
  @Field(() => ID, { description: 'Reference it in attachmentIds once the PUT answered 201.' })
  public attachmentId!: string;

  @Field({ description: 'PUT exactly `size` bytes here, once, before expiresAt.' })
  public uploadUrl!: string;

  @Field({ description: 'The upload URL stops working then.' })
  public expiresAt!: Date;

  @Field(() => Int, { description: 'The largest upload this server takes (ATTACHMENT_MAX_BYTES).' })
  public maxBytes!: number;
}
