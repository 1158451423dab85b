import type { CodegenConfig } from '@graphql-codegen/cli';

// schema.graphql (emitted from the API's classes) + the SDK's operation
// documents -> typed documents in packages/sdk/src/generated.
// client-preset in string mode: each operation is a TypedDocumentString,
// so the SDK ships no GraphQL runtime at all, only fetch.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['packages/sdk/src/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'packages/sdk/src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql' },
      config: {
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        scalars: { DateTime: 'string', ID: 'string' },
        strictScalars: true,
        skipTypename: true,
      },
    },
  },
  hooks: {},
  silent: true,
};

export default config;
