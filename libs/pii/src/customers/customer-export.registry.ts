import { type Reach } from '@orderops/access';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** A section lists only what the exporting caller's reach covers. */
export type ExportSection = (customerId: string, manager: EntityManager, reach: Reach) => Promise<unknown>;

/**
 * The extension point of the personal-data export (GDPR Art. 15): modules that hold data
 * about a customer (orders) register a section here, so `pii` never imports them.
 */
@Injectable()
export class CustomerExportRegistry {
  private readonly sections = new Map<string, ExportSection>();

  register(name: string, section: ExportSection): void {
    this.sections.set(name, section);
  }

  async collect(customerId: string, manager: EntityManager, reach: Reach): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [name, section] of this.sections) out[name] = await section(customerId, manager, reach);
    return out;
  }
}
