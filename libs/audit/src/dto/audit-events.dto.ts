import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES } from '../audit-hash.js';
import { AUDIT_BREAKS } from '../audit-log.service.js';

export class ListAuditEventsQuery {
  @ApiPropertyOptional({ example: 'auth.token.issued', description: 'Exact action name' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, { message: 'action must be a dotted lower-case name' })
  action?: string;

  @ApiPropertyOptional({ description: 'Operator id, client id, or anonymous / a system actor' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  actor?: string;

  @ApiPropertyOptional({ description: 'Id of the object acted upon' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  targetId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this time' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class AuditEventResponse {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    nullable: true,
    description:
      'Position in the log, contiguous from 1; null for a committed event not yet sequenced (within seconds)',
  })
  seq!: number | null;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ enum: AUDIT_ACTOR_TYPES }) actorType!: string;
  @ApiProperty({ example: 'auth.token.issued' }) action!: string;
  @ApiProperty({ nullable: true, type: String }) targetType!: string | null;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty({ enum: AUDIT_OUTCOMES }) outcome!: string;
  @ApiProperty({ nullable: true, type: String }) requestId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
  @ApiProperty({ description: "The event's Merkle leaf: SHA-256(0x00 || canonical event), hex" })
  leafHash!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Events chained before the Merkle log: hash of the previous event (hex); null otherwise',
  })
  prevHash!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Events chained before the Merkle log: SHA-256(prevHash || canonical event), hex; null otherwise',
  })
  hash!: string | null;
}

export class AuditEventPageResponse {
  @ApiProperty({ type: AuditEventResponse, isArray: true, description: 'Newest first' })
  items!: AuditEventResponse[];

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null;
}

export class AuditBreakResponse {
  @ApiProperty({ type: 'integer', minimum: 0 }) seq!: number;
  @ApiProperty({ enum: AUDIT_BREAKS }) reason!: string;
}

export class AuditVerificationResponse {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Events that checked out' }) checked!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Last event that checked out (0 when none)' })
  lastSeq!: number;
  @ApiProperty({ description: 'Merkle tree hash over the events that checked out, hex' }) rootHash!: string;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Committed events not yet in the log (another replica is sequencing): checked next time',
  })
  pending!: number;
  @ApiPropertyOptional({ type: AuditBreakResponse, description: 'The first missing or altered event' })
  brokenAt?: AuditBreakResponse;
}
