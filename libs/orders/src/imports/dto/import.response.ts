import { FieldCode } from '@orderops/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IMPORT_STATUSES, type ImportStatus } from '../import.entity.js';

export class ImportFieldProblemResponse {
  @ApiProperty({ example: 'price', description: 'the CSV column (or `row`, `order_ref`)' })
  field!: string;

  @ApiProperty({
    enum: Object.values(FieldCode),
    example: FieldCode.InvalidAmount,
    description: 'a stable code, as in Problem.errors[].code (docs/problems.md)',
  })
  code!: FieldCode;

  @ApiProperty({
    example:
      'price must be a decimal string > 0 and <= 1000000 with at most 3 decimals (and no more than its currency has)',
  })
  message!: string;
}

export class ImportRejectResponse {
  @ApiProperty({ type: 'integer', minimum: 2, example: 6, description: 'file line (the header is line 1)' })
  line!: number;

  @ApiProperty({ type: ImportFieldProblemResponse, isArray: true })
  errors!: ImportFieldProblemResponse[];
}

export class ImportErrorResponse {
  @ApiProperty({ example: 'import-interrupted' })
  code!: string;

  @ApiProperty()
  detail!: string;
}

/** The fields every view of an import shares. */
export abstract class ImportSummaryResponse {
  @ApiProperty({ example: 'IMP-01JD8Q5Z3M7R4T6V8X0B2C4D6F' })
  id!: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'data rows read (the header excluded)' })
  rows!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'rows imported' })
  accepted!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  rejected!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'orders created (rows sharing an order_ref make one)',
  })
  orders!: number;

  @ApiProperty({ type: ImportRejectResponse, isArray: true, description: 'the first 1,000, by line' })
  rejects!: ImportRejectResponse[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'rejected rows beyond the 1,000 listed' })
  rejectsOmitted?: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'milliseconds the import took' })
  durationMs!: number;

  @ApiPropertyOptional({ type: ImportErrorResponse, description: 'why a failed import failed' })
  error?: ImportErrorResponse;
}

export class ImportReportResponse extends ImportSummaryResponse {
  @ApiProperty({ enum: ['completed', 'failed'] })
  status!: 'completed' | 'failed';
}

export class StoredImportResponse extends ImportSummaryResponse {
  @ApiProperty({ enum: IMPORT_STATUSES })
  status!: ImportStatus;

  @ApiProperty({ example: 'operator:4f1c...' })
  createdBy!: string;

  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the file (hex)' })
  sha256!: string | null;

  @ApiProperty()
  strict!: boolean;

  @ApiProperty()
  allowDuplicate!: boolean;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  finishedAt!: string | null;
}

/** A page of the order ids an import created. */
export class ImportOrdersResponse {
  @ApiProperty({
    type: String,
    isArray: true,
    example: ['ORD-01JD8Q5Z3M7R4T6V8X0B2C4D6F'],
    description: 'ids of the orders the import created, in the order they were created',
  })
  items!: string[];

  @ApiPropertyOptional({ type: String, nullable: true, description: 'pass as cursor for the next page' })
  nextCursor!: string | null;
}
