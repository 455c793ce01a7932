import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

const BOOLEAN_STRINGS = ['true', 'false'] as const;

export class ImportQueryDto {
  @ApiPropertyOptional({ enum: BOOLEAN_STRINGS, description: 'any invalid row rejects the whole file (422)' })
  @IsOptional()
  @IsIn(BOOLEAN_STRINGS)
  strict?: 'true' | 'false';

  @ApiPropertyOptional({ enum: BOOLEAN_STRINGS, description: 'import a file even if it was imported before' })
  @IsOptional()
  @IsIn(BOOLEAN_STRINGS)
  allowDuplicate?: 'true' | 'false';
}

/** A page of the order ids an import created. */
export class ImportOrdersQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
