import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const MAX_POSITION = Number.MAX_SAFE_INTEGER;

export class AuditEventPositionParams {
  @ApiProperty({ type: 'integer', minimum: 1, description: "The event's position in the log (its seq)" })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_POSITION)
  seq!: number;
}

export class InclusionProofQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description:
      "Size of the tree to prove inclusion in (a signed tree head's treeSize); default: the current head",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_POSITION)
  treeSize?: number;
}

export class ConsistencyProofQuery {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'treeSize of the older tree head (e.g. a kept checkpoint)',
  })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_POSITION)
  from!: number;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'treeSize of the newer tree head' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_POSITION)
  to!: number;
}

export class SignedTreeHeadResponse {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Events in the log' }) treeSize!: number;
  @ApiProperty({ description: 'RFC 9162 Merkle tree hash over the events, hex' }) rootHash!: string;
  @ApiProperty({ format: 'date-time', description: 'When the log reached this size' }) at!: string;
  @ApiProperty({ description: 'Signing key id (see /.well-known/jwks.json)' }) kid!: string;
  @ApiProperty({
    description:
      'Compact JWS (ES256, typ orderops-audit-tree-head) over {treeSize, rootHash, at}: the authoritative form',
  })
  jws!: string;
}

export class InclusionProofResponse {
  @ApiProperty({ type: 'integer', minimum: 1 }) seq!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) treeSize!: number;
  @ApiProperty({ description: "The event's leaf hash: SHA-256(0x00 || canonical event), hex" })
  leafHash!: string;
  @ApiProperty({ description: 'Root of the tree of treeSize events, hex' }) rootHash!: string;
  @ApiProperty({
    type: String,
    isArray: true,
    description: 'RFC 9162 §2.1.3 audit path, leaf side first, hex',
  })
  proof!: string[];
}

export class ConsistencyProofResponse {
  @ApiProperty({ type: 'integer', minimum: 1 }) from!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) to!: number;
  @ApiProperty({ description: 'Root of the tree of `from` events, hex' }) fromRoot!: string;
  @ApiProperty({ description: 'Root of the tree of `to` events, hex' }) toRoot!: string;
  @ApiProperty({ type: String, isArray: true, description: 'RFC 9162 §2.1.4 consistency proof, hex' })
  proof!: string[];
}
