// The process's database, for the code that needs the driver's handles
// (GridFS, the rate-limit and webhook stores, the transactions probe,
// the clock check): taken here, so only db/ and the stores touch the
// Mongoose connection itself.
import type { Db, MongoClient } from 'mongodb';
import mongoose, { type Connection } from 'mongoose';

/** The connected database (the connection is open by the time anything asks). */
export function database(): Db {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db;
}

/** The connected database, or undefined before it is. */
export const databaseIfConnected = (): Db | undefined => mongoose.connection.db;

export const mongoClient = (): MongoClient => mongoose.connection.getClient() as unknown as MongoClient;

/** The Mongoose connection itself (the rate limits' store keeps its records through it). */
export const defaultConnection = (): Connection => mongoose.connection;
