import type { DatabaseSchema } from './database.js';
import { InstanceEntity } from './instance.entity.js';
import { CreateInstance1732320000000 } from './migrations/1732320000000-create-instance.js';

/** The tables `core` owns; feature libs export their own schema parts beside it. */
export const coreSchema: DatabaseSchema = {
  entities: [InstanceEntity],
  migrations: [CreateInstance1732320000000],
};
